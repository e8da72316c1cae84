-- The standing of the partners already in the directory (common migration 0005_partner_standing.sql).
INSERT INTO partner_standing (partner_id, status)
SELECT id, CASE WHEN active THEN 'active' ELSE 'suspended' END FROM partners
ON CONFLICT (partner_id) DO NOTHING;
