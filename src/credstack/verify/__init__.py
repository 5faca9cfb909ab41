"""credstack.verify"""
