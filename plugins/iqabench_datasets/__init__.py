"""Built-in dataset plugin: readers of the official layouts of public IQA datasets."""
