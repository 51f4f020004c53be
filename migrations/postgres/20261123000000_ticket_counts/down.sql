DROP TABLE ticket_counts;
