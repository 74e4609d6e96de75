-- Co-change evidence weighted by commit size as well as recency: a pair's share of a
-- 2-file commit counts fully, its share of a 50-file commit much less
-- (mira_git::cochange::size_discount); sized_commits is the same without decay, which
-- gives the typical commit size behind a pair. Rows indexed before keep their recency
-- weight (as if every commit had two files), so they rank by recency until the next
-- `mira index` rebuilds them: an index whose counts_version is older than mira-git's is
-- rebuilt rather than added to.
ALTER TABLE file_cochange_patterns ADD COLUMN sized_weight REAL NOT NULL DEFAULT 0;
ALTER TABLE file_cochange_patterns ADD COLUMN sized_commits REAL NOT NULL DEFAULT 0;
UPDATE file_cochange_patterns SET sized_weight = recency_weight, sized_commits = shared_commits;
ALTER TABLE git_index_state ADD COLUMN counts_version INTEGER NOT NULL DEFAULT 1;
