"""Running student code: sandboxed, on workers, returning data.

- :mod:`~grader.executor.sandbox`: the bubblewrap sandbox and its resource limits;
- :mod:`~grader.executor.kernel`: executing a notebook in a sandboxed kernel, with time and
  output limits;
- :mod:`~grader.executor.notebook`: the notebook a submission is graded as (release cells
  restored) and the code the scenario runner executes;
- :mod:`~grader.executor.runner`: the scenario runner, run inside the sandbox;
- :mod:`~grader.executor.plain`: plain data across the trust boundary (JSON, no pickle);
- :mod:`~grader.executor.worker`: one submission, job in, result out;
- :mod:`~grader.executor.cluster`: fanning jobs out over Dask.
"""
