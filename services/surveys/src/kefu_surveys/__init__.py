"""kefu surveys: return visits after repairs and complaints, satisfaction surveys and their results."""
