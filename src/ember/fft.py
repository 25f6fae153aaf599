"""torch.fft: discrete Fourier transforms, differentiable (the ops live in ops/spectral.py).

    import ember as torch
    spectrum = torch.fft.rfft(signal, norm="ortho")
"""

from .ops import spectral as _spectral

__all__ = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
    "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
    "rfftfreq", "fftshift", "ifftshift",
]

fft = _spectral.fft_fft
ifft = _spectral.fft_ifft
rfft = _spectral.fft_rfft
irfft = _spectral.fft_irfft
hfft = _spectral.fft_hfft
ihfft = _spectral.fft_ihfft
fft2 = _spectral.fft_fft2
ifft2 = _spectral.fft_ifft2
rfft2 = _spectral.fft_rfft2
irfft2 = _spectral.fft_irfft2
hfft2 = _spectral.fft_hfft2
ihfft2 = _spectral.fft_ihfft2
fftn = _spectral.fft_fftn
ifftn = _spectral.fft_ifftn
rfftn = _spectral.fft_rfftn
irfftn = _spectral.fft_irfftn
hfftn = _spectral.fft_hfftn
ihfftn = _spectral.fft_ihfftn
fftfreq = _spectral.fft_fftfreq
rfftfreq = _spectral.fft_rfftfreq
fftshift = _spectral.fft_fftshift
ifftshift = _spectral.fft_ifftshift

# classes and functions exported here from internal modules say this namespace in __module__
from . import _names as _names_  # noqa: E402

_names_.adopt(__name__)
