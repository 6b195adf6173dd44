-- SLA deadlines of a fault order by its priority, counted in working time from its filing
-- (workflow.md §3): stored with the order, like an open item's.
ALTER TABLE fault_orders ADD COLUMN response_due TEXT;
ALTER TABLE fault_orders ADD COLUMN resolution_due TEXT;
