"""msfr: the multi-scale full-reference network of Zhou & Chen ("Deep Multi-Scale Features Learning for
Distorted Image Quality Assessment"; section and equation numbers below are the paper's).

Two streams on luminance, the distorted image D and the residual map |D − O| (eq. 1), each five 3×3
convolutions; spatial pyramid pooling on both, a feature pyramid over the distorted stream's layers,
and fully connected layers to one quality score per 128×128 patch; an image's score is the mean over
its patches (§II-B). Modules: :mod:`.model` (the network and the Table II variants), :mod:`.patches`
(luma, residual, patch grids), :mod:`.data` (meta-info folders, the split by reference image),
:mod:`.inference` (scoring an image), :mod:`.train` (the recipe), :mod:`.checkpoint` (files and
manifests), :mod:`.command` (``iqabench train msfr``), :mod:`.metric` and :mod:`.plugin` (registration).
"""
