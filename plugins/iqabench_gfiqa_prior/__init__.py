"""gfiqa-prior: the generative-prior face IQA model of "Going the Extra Mile in Face Image Quality Assessment: A
Novel Database and Model" (Su, Lin, Hosu, Wiedemann, Sun, Zhu, Liu, Zhang and Saupe, IEEE TMM 2024), §IV–§VI.

Modules, one job each: :mod:`.stylegan2` (the frozen StyleGAN2 generator in plain PyTorch, BasicSR's names),
:mod:`.gfpgan_weights` (loading GFPGAN's ``StyleGAN2_512_Cmul1_FFHQ_B12G4_scratch_800k.pth``), :mod:`.encoder`
(ResNet50 + map2style, Eq. 1), :mod:`.predictor` (CBAM, map2quality, SPADE modulation of Eq. 5, the head),
:mod:`.lpips` and :mod:`.arcface` (the loss networks of Eqs. 7–8), :mod:`.losses` (Eqs. 6–11), :mod:`.model`
(assembly, Eqs. 2 and 4), :mod:`.files` (the pretrained files: names, sources, folders), :mod:`.data` (GFIQA-20k
and its 70/10/20 split), :mod:`.train`, :mod:`.checkpoint`, :mod:`.command` (``iqabench train gfiqa-prior``),
:mod:`.flops` (Table VI), :mod:`.metric` (``gfiqa-prior``, ``gfiqa-prior-tf``) and :mod:`.plugin`.

No checkpoint ships: training needs GFPGAN's StyleGAN2, ImageNet's ResNet50 and VGG16, LPIPS's linear layers and
ArcFace's IR-SE50, none of which could be had where this was written, nor GFIQA-20k's images. Every part is
tested at reduced sizes with random weights; the metrics refuse to score without a checkpoint trained from the
pretrained files.
"""
