"""How the API's results show themselves: as the commands print them, as
rich text in a terminal (print(), IPython) and as HTML in a notebook."""
from __future__ import annotations

import io


class Shown:
    """A result that draws itself through gradcli's renderers: draw(opts)
    prints to opts.out, a rich console, as the command would."""

    def draw(self, opts) -> None:
        raise NotImplementedError

    def _render(self, html: bool) -> str:
        from rich.console import Console

        from gradcli.edge import Options
        console = Console(file=io.StringIO(), record=True, width=100, force_terminal=html,
                          color_system="truecolor" if html else None, no_color=not html, highlight=False,
                          markup=False, emoji=False)
        opts = Options(_out=console, _err=console)
        self.draw(opts)
        if html:
            return console.export_html(inline_styles=True, code_format="<pre style=\"font-family:monospace;"
                                       "line-height:1.25\">{code}</pre>")
        return "\n".join(line.rstrip() for line in console.export_text().rstrip("\n").split("\n"))

    def __str__(self) -> str:
        return self._render(html=False)

    def _repr_html_(self) -> str:
        return self._render(html=True)

    def _repr_pretty_(self, p, cycle) -> None:       # IPython in a terminal
        p.text(str(self))
