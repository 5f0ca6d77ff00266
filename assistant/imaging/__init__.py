"""Picture edits (deterministic and diffusion) and illustration generation."""
