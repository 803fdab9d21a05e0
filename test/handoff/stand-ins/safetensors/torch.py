"""Stand-in for safetensors.torch in the hand-off test (the package cannot be installed here)."""
from safetensors_torch import read_safetensors


def load_file(filename, device='cpu'):
    return {name: t.to(device) for name, t in read_safetensors(filename).items()}
