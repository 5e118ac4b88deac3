def to_xylo_config(cfg): raise NotImplementedError
def from_xylo_config(xylo_config, *args, **kwargs): raise NotImplementedError
