"""Writes the SDL to schema.graphql: `python -m schema.export` (a test fails when it is stale)."""

from pathlib import Path

from schema.build import export_sdl

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"

if __name__ == "__main__":
    SDL_PATH.write_text(export_sdl())
    print(f"wrote {SDL_PATH}")
