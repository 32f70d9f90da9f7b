"""The Culture Hub: members submit practice, members' news is harvested, moderators publish."""
