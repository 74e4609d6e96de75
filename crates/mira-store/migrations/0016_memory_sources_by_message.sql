-- Recall asks which facts were said in the turns that matched a query (a fact ranks
-- where its turn does): an index by message answers that without reading every source
-- of every matching fact.
CREATE INDEX memory_fact_sources_by_message ON memory_fact_sources (conversation, message);
