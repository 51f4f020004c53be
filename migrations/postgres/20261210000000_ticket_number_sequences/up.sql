-- Ticket numbers from a sequence per tenant instead of the tenant row's counter.
--
-- Every create of a tenant updated its one `tenants` row, so creates queued on that row's
-- lock until each commit (about 900 a second at most). `nextval` takes no lock that lasts
-- to the commit: concurrent creates overlap. A number taken by a create that then fails
-- (a conflict, a rollback) is not handed out again, so a tenant's numbers may have gaps;
-- they stay unique and increase in the order the creates took them (docs/decisions.md).
--
-- The sequence is named from an md5 of the tenant key: keys are up to 64 characters and
-- PostgreSQL truncates names at 63 bytes. `tenants.last_number` is now only where a new
-- tenant row's numbering starts (a bulk import may set it); the sequence is the counter.

CREATE FUNCTION ticket_number_sequence(tenant TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 'ticket_numbers_' || md5(tenant) $$;

-- The tenant's next number, or NULL when the tenant has no row yet (the caller inserts it,
-- whose trigger creates the sequence, and asks again). Creating a sequence at run time, here
-- or in the trigger, needs the CREATE privilege on the schema (docs/operations.md).
CREATE FUNCTION next_ticket_number(tenant TEXT) RETURNS BIGINT
    LANGUAGE plpgsql
    AS $$
DECLARE
    numbers REGCLASS := to_regclass(ticket_number_sequence(tenant));
BEGIN
    IF numbers IS NULL THEN
        -- Another transaction may have created it since this one first looked (both
        -- creating a new tenant's first tickets): the name cache answers from before
        -- that; the catalog read on this statement's snapshot does not.
        SELECT c.oid INTO numbers FROM pg_class c
         WHERE c.relname = ticket_number_sequence(tenant) AND c.relkind = 'S'
           AND c.relnamespace = current_schema()::regnamespace;
        IF numbers IS NULL THEN
            -- A tenant row without its sequence (a restore with triggers off, say): the
            -- sequence is made here, after the numbers the tenant has. No tenant row: NULL.
            PERFORM 1 FROM tenants t WHERE t.key = next_ticket_number.tenant;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS BIGINT START WITH %s',
                           ticket_number_sequence(next_ticket_number.tenant),
                           (SELECT GREATEST(t.last_number, COALESCE(max(k.number), 0)) + 1
                              FROM tenants t LEFT JOIN tickets k ON k.tenant = t.key
                             WHERE t.key = next_ticket_number.tenant
                             GROUP BY t.last_number));
            numbers := to_regclass(ticket_number_sequence(next_ticket_number.tenant));
        END IF;
    END IF;
    RETURN nextval(numbers);
END
$$;

CREATE FUNCTION create_ticket_number_sequence() RETURNS TRIGGER
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS BIGINT START WITH %s',
                   ticket_number_sequence(NEW.key), NEW.last_number + 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_ticket_numbers AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION create_ticket_number_sequence();

DO $$
DECLARE
    tenant RECORD;
BEGIN
    FOR tenant IN SELECT key, last_number FROM tenants LOOP
        EXECUTE format('CREATE SEQUENCE %I AS BIGINT START WITH %s',
                       ticket_number_sequence(tenant.key), tenant.last_number + 1);
    END LOOP;
END
$$;
