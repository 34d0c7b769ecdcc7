namespace Microsoft.ML.Compression.Distillation;

/// <summary>
/// A FitNets-style hint: the output of <paramref name="StudentLayer"/> is trained towards the output of
/// <paramref name="TeacherLayer"/> (mean squared error). Both must have the same spatial size; when their channel
/// counts differ, a learned 1x1 adapter maps the student's channels onto the teacher's.
/// </summary>
/// <param name="StudentLayer">A layer of the network being trained, by name (e.g. "layer2.2.relu2").</param>
/// <param name="TeacherLayer">A layer of the teacher, by name.</param>
public sealed record FeatureHint(string StudentLayer, string TeacherLayer);
