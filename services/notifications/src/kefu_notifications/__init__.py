"""kefu notifications: tells staff and owners what they must know, once per event and recipient."""
