# Global roles: a global block holds 2-argument roles and permissions, and
# resource blocks refer to them with `global "role"`.
actor User {}

global {
  roles = ["admin", "support"];
  permissions = ["create_org", "view_audit_log"];

  "create_org" if "admin";
  "view_audit_log" if "support";
  "support" if "admin";
}

resource Organization {
  roles = ["member", "owner"];
  permissions = ["read", "delete"];

  "read" if "member";
  "member" if "owner";
  "delete" if "owner";
  "delete" if global "admin";
  "read" if global "support";
}
