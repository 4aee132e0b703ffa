import click


@click.group(short_help="Collaborative models on chain (Decentralized & Collaborative AI)")
def cli():
    """Shared models that anyone trains by adding data and anyone queries for free."""
