"""kefu intake: records every contact, keeps the customer archive (客户档案), opens cases."""
