-- Policies with hundreds of rules compile to SQL within SQLite's limits:
-- no compound SELECT over 500 terms, no AND/OR chain 1000 deep. Found by
-- tests/fuzz (fuzz_compile: "too many terms in compound SELECT").
.load ./polarlite
.echo on
SELECT polar_load((WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<1200)
  SELECT 'actor User {} resource R {}' || char(10) ||
         group_concat('has_permission(u: User, "p' || i || '", r: R) if grant' || (i % 3) || '(u, "p' || i || '", r);', char(10))
  FROM n), 'wide.polar');
SELECT polar_insert('grant1', 'User:a', 'p700', 'R:x');
SELECT polar_insert('grant2', 'User:a', 'p1100', 'R:y');
SELECT authorize('User:a', 'p700', 'R:x'), authorize('User:a', 'p700', 'R:y'), authorize('User:a', 'p1100', 'R:y');
SELECT count(*) FROM polar_actions('User:a', 'R:y');
SELECT id FROM polar_list('User:a', 'p700', 'R');
SELECT count(*) FROM polar_query('has_permission', 'User:a', NULL, NULL);
SELECT count(*) FROM polar_query('allow', NULL, NULL, NULL);
