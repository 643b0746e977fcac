"""gada: Generative Adversarial Data Augmentation for no-reference IQA (Bongini, Del Chiaro, Bagdanov and
Del Bimbo, ICIAP 2019).

An AC-GAN learns to distort reference images to a given distortion class and quality; its discriminator
carries a quality evaluator that is trained on real and generated images and then fine-tuned on real
labelled ones. Modules: :mod:`.model` (generator, discriminator, the inference-only evaluator),
:mod:`.data` (training sets and crops), :mod:`.train` (losses and the three phases), :mod:`.checkpoint`
(files and manifests), :mod:`.command` (``iqabench train gada``), :mod:`.metric` (the ``gada`` and
``gada-direct`` metrics) and :mod:`.plugin` (registration).
"""
