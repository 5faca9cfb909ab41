"""credstack.proofs"""
