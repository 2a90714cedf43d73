"""Drawing helper shared by the steps that draw graphs (25/26, 27, 35, 45).

Each such step imports it as ``_drawing`` (Python puts a script's own folder first on
``sys.path``), as the examples import ``_common``: the early build-it-yourself steps are
self-contained snapshots, but from step 23 on the steps use the package and share code.
"""
from __future__ import annotations

import os
import sys
from typing import Callable

from dezero.utils import GraphvizNotFoundError


def save_graph(draw: Callable[[str], object], folder: str, name: str, format: str,
               step: str) -> None:
    """Write a graph as DOT text, <folder>/<name>.dot, and unless ``format`` is "dot" also
    draw it into <name>.<format> with Graphviz; ``draw(to_file)`` does the writing.

    The printed line is the same on every machine ("wrote <name>.dot"); whether the
    picture was drawn goes to stderr: where it is, or, without Graphviz's ``dot``
    program, what to install and how to draw the saved DOT text later.
    """
    os.makedirs(folder, exist_ok=True)
    dot_file = os.path.join(folder, f"{name}.dot")
    draw(dot_file)
    print(f"wrote {name}.dot")
    if format == "dot":
        return
    picture = os.path.join(folder, f"{name}.{format}")
    try:
        draw(picture)
    except GraphvizNotFoundError:
        print(f"{step}: {picture} not drawn: Graphviz's `dot` program is not installed.\n"
              f"  The graph is saved as DOT text in {dot_file}.\n"
              "  Install Graphviz (apt-get install graphviz, brew install graphviz or conda "
              "install graphviz) and run this step again,\n"
              f"  or draw the saved text then with: dot -T{format} {dot_file} -o {picture}",
              file=sys.stderr)
    else:
        print(f"{step}: drew {picture}", file=sys.stderr)
