"""openmps's tasks as the MPS API 3.0 names them (DescribeTasks, DescribeTaskDetail): pure functions
of tasks and subtasks, shared by the API 3.0 actions and the notification events, whose
``WorkflowTaskEvent`` is the same object as DescribeTaskDetail's ``WorkflowTask``."""
