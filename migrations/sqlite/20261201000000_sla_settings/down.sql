DROP TABLE sla_policies;
DROP TABLE business_hours;
