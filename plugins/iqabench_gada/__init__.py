"""gada: Generative Adversarial Data Augmentation for no-reference IQA (Bongini, Del Chiaro, Bagdanov and
Del Bimbo, ICIAP 2019).

An AC-GAN learns to distort reference images to a given distortion class and quality; its discriminator
carries a quality evaluator that is trained on real and generated images and then fine-tuned on real
labelled ones. Modules: :mod:`.model` (generator, discriminator, the inference-only evaluator),
:mod:`.data` (training sets and crops), :mod:`.train` (losses and the three phases), :mod:`.checkpoint`
(files and manifests), :mod:`.command` (``iqabench train gada``), :mod:`.metric` (the ``gada`` and
``gada-direct`` metrics), :mod:`.crossval` (k-fold cross-validation against the direct baseline, NIQE and
BRISQUE) and :mod:`.plugin` (registration).

The shipped checkpoints (``checkpoints/*.pt``, each with a JSON manifest: sha256, exact command, data,
device, time, figures) are a CPU recipe, not the paper's sizes: width 0.25 (16, 32, 32 and 256 maps),
64-pixel crops, 700 steps of 64 crops per phase, one CPU thread (13.6 min for GADA, 10.9 for the direct
baseline). Phases 1 and 2 used the synthetic full-reference set (:mod:`iqabench_training.synthetic_fr`, a
pseudo-quality label), phase 3 the 320 'train' images of ``splits/livec.json``. On its 80 'test' images:
gada SRCC 0.430 [0.231, 0.596], gada-direct 0.406 [0.198, 0.589], NIQE 0.403, BRISQUE 0.145; gada minus
direct +0.025 [-0.067, 0.118], p = 0.61: no significant gain from the augmentation here. Cross-validated over
all 400 images (:mod:`.crossval`, 5 folds): gada 0.451, gada-direct 0.444, difference +0.007 [-0.025, 0.039],
p = 0.64; neither a three times longer phase 2 nor full width makes gada beat its direct baseline. The files hold the
whole generator and discriminator in float16 (0.56 and 0.33 MB); the metric loads the trunk and evaluator
only (:class:`.model.Evaluator`); :func:`.checkpoint.ship` with ``inference_only=True`` keeps just those.
"""
