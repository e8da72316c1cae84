-- Which needs a service meets (terms of the taxonomy in domain/hsds.py): the HSDS directory's
-- taxonomy_term search. Set by the operators' seed; a partner's upsert keeps them.
ALTER TABLE services ADD COLUMN needs text[] NOT NULL DEFAULT '{}';
