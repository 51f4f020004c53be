-- Back to the counter row: it resumes after the last number each sequence handed out.
DO $$
DECLARE
    tenant RECORD;
    numbers REGCLASS;
BEGIN
    FOR tenant IN SELECT key FROM tenants LOOP
        numbers := to_regclass(ticket_number_sequence(tenant.key));
        IF numbers IS NOT NULL THEN
            EXECUTE format('UPDATE tenants SET last_number = GREATEST(last_number, '
                           '(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s)) '
                           'WHERE key = %L', numbers, tenant.key);
            EXECUTE format('DROP SEQUENCE %s', numbers);
        END IF;
    END LOOP;
END
$$;
DROP TRIGGER tenants_ticket_numbers ON tenants;
DROP FUNCTION create_ticket_number_sequence();
DROP FUNCTION next_ticket_number(TEXT);
DROP FUNCTION ticket_number_sequence(TEXT);
