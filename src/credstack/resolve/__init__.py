"""credstack.resolve"""
