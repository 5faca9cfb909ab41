"""credstack.jsonld"""
