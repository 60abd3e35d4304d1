__version__ = "0.0.1"

import warnings
# fastai's layers module still calls torch.jit.script at import (a deprecation of theirs, not a user's concern). The
# filter sits in the package's __init__, which runs before any of its modules: importing any one prints nothing.
warnings.filterwarnings('ignore', message=r'`torch.jit.script` is deprecated', category=FutureWarning)
