"""credstack.crypto"""
