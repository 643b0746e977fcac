"""effres: effective resolution of faces (Kansy et al., "Self-Supervised Effective Resolution Estimation
with Adversarial Augmentations"; the supplement's Table 1 gives every value used here).

A network regresses, from a face patch, the fraction of the image's resolution that the face really
has (1 = sharp at this size, 0.25 = looks upscaled ×4). Modules: :mod:`.model` (the network),
:mod:`.checkpoint` (files and manifests), :mod:`.patches` (patch grids and foreground), :mod:`.samples`
(self-supervised training samples), :mod:`.adversarial` (PGD and FGSM), :mod:`.train` (the recipe),
:mod:`.masks` (face masks), :mod:`.metric` (inference) and :mod:`.plugin` (registration).
"""
