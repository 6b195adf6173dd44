-- 第四十四条: what a fault order said when it was filed, so the R&D lead it is assigned to (who
-- was never on the original mail) receives the whole order.
ALTER TABLE fault_orders ADD COLUMN filed_text TEXT NOT NULL DEFAULT '';
ALTER TABLE fault_orders ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
