-- A value no rule could read is an error that names the argument, with a
-- "did you mean" where the policy has something close (docs/values.md):
-- an actor without a type, an action or relation name the policy mentions
-- nowhere, a type or predicate that is not the policy's. Values the policy
-- can read stay answers: a free variable reads any String, a stored fact
-- can hold a String no rule mentions.
.load ./polarlite
.echo on
SELECT polar_load('actor User {}
resource Project { roles = ["member"]; permissions = ["read"]; "read" if "member"; }
resource Document {
  permissions = ["read", "edit"];
  relations = { project: Project, owner: User };
  "read" if "read" on "project";
  "edit" if "owner";
}', 'typos.polar');
SELECT polar_insert('has_role', 'User:ann', 'member', 'Project:p');
SELECT polar_insert('has_relation', 'Document:spec', 'project', 'Project:p');
SELECT authorize('User:ann', 'read', 'Document:spec');
-- an actor without a type
SELECT authorize('ann', 'read', 'Document:spec');
-- an action the policy mentions nowhere
SELECT authorize('User:ann', 'raed', 'Document:spec');
SELECT id FROM polar_list('User:ann', 'raed', 'Document');
-- a mentioned action no rule grants here is simply 0
SELECT authorize('User:ann', 'edit', 'Project:p');
-- a type that is not the policy's, a value of a type the position cannot hold
SELECT authorize('User:ann', 'read', 'Documnet:spec');
SELECT authorize(42, 'read', 'Document:spec');
SELECT * FROM polar_query('has_role', 'Project:p', NULL, NULL);
-- a relation name no rule reads, a predicate the policy does not know
SELECT polar_insert('has_relation', 'Document:spec', 'projcet', 'Project:p');
SELECT polar_insert('has_rol', 'User:ann', 'member', 'Project:p');
SELECT count(*) FROM polar_facts;
-- a stored fact may hold a String no rule mentions
SELECT polar_insert('has_permission', 'User:ann', 'deploy', 'Project:p');
SELECT authorize('User:ann', 'deploy', 'Project:p'), authorize('User:ann', 'deploy', 'Document:spec');
-- context facts may too
SELECT authorize('User:bob', 'deploy2', 'Project:p', '[{"predicate":"has_permission","args":[{"type":"User","id":"bob"},{"type":"String","id":"deploy2"},{"type":"Project","id":"p"}]}]');
-- polar_sql shows the SQL of any values
SELECT polar_sql('authorize', 'User:ann', 'raed', 'Document:spec') IS NOT NULL;
-- a free variable reads any String: with a rule that lets superusers do
-- anything, no action is a typo
SELECT polar_load(polar_policy() || '
allow(u: User, _: String, _: Document) if is_superuser(u);
allow(u: User, action: String, r: Resource) if has_permission(u, action, r);', 'typos2.polar');
SELECT polar_insert('is_superuser', 'User:root');
SELECT authorize('User:root', 'archive', 'Document:spec'), authorize('User:ann', 'raed', 'Document:spec');
