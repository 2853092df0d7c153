-- The exact SQL surface the extension registers: scalar functions, then the
-- table-valued functions and virtual tables (modules).
.load ./polarlite
.echo on
SELECT DISTINCT name FROM pragma_function_list
 WHERE name LIKE 'polar%' OR name = 'authorize' ORDER BY 1;
SELECT name FROM pragma_module_list WHERE name LIKE 'polar%' ORDER BY 1;
SELECT name FROM pragma_table_xinfo('polar_facts') WHERE hidden = 0 ORDER BY cid;
SELECT name FROM pragma_table_xinfo('polar_list') WHERE hidden = 0 ORDER BY cid;
SELECT name FROM pragma_table_xinfo('polar_actions') WHERE hidden = 0 ORDER BY cid;
SELECT name FROM pragma_table_xinfo('polar_query') WHERE hidden = 0 ORDER BY cid;
SELECT name FROM pragma_table_xinfo('polar_explain') WHERE hidden = 0 ORDER BY cid;
SELECT name FROM pragma_table_xinfo('polar_test') WHERE hidden = 0 ORDER BY cid;
