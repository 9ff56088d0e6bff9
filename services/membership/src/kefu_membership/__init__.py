"""kefu membership: the owners' club (客户会): members, tiers, points, benefits, community events."""
