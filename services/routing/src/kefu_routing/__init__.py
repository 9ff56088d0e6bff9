"""kefu routing: owns cases, their assignment, deadlines, escalations and work orders."""
