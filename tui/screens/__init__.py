"""The screens of the TUI, one module each; the app pushes and routes between them."""
