"""credstack.cli"""
