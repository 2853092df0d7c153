# An actor block with roles and a recursive relation: a manager's manager is a
# manager too ("manager" if "manager" on "direct_manager").
actor User {
  roles = ["manager"];
  permissions = ["view_salary", "approve_leave"];
  relations = { direct_manager: User };

  "manager" if "direct_manager";
  "manager" if "manager" on "direct_manager";
  "view_salary" if "manager";
  "approve_leave" if "direct_manager";
}
