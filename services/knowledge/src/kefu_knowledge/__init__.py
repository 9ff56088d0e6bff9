"""kefu knowledge: the standard knowledge base (articles) and the case library built from closed cases."""
