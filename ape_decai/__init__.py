"""ape-decai: Decentralized & Collaborative AI on Blockchain, as an Ape plugin."""
