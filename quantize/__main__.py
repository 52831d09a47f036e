"""``python -m quantize``: the command line of the ``quantize`` script."""

from quantize.cli import main

main(prog_name="quantize")
