DROP TABLE mail_deliveries;
DROP TABLE mail_positions;
DROP TABLE notification_templates;
DROP TABLE notification_settings;
