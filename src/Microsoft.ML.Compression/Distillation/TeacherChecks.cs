using Microsoft.ML.Compression.Graph;

namespace Microsoft.ML.Compression.Distillation;

/// <summary>Checks that a teacher can teach a student: same classes, same input, hint layers that exist and line up.</summary>
internal static class TeacherChecks
{
    /// <summary>Throws, naming <paramref name="option"/> and both networks, when <paramref name="teacher"/> cannot teach <paramref name="student"/>.</summary>
    public static void CheckCompatible(NetworkGraph student, NetworkGraph teacher, IReadOnlyList<FeatureHint> hints, string option)
    {
        if (teacher.ClassCount != student.ClassCount)
            throw new ArgumentException(
                $"The teacher '{teacher.Name}' predicts {teacher.ClassCount} classes but the student '{student.Name}' predicts {student.ClassCount}; distillation matches their class probabilities, so both need the same {student.ClassCount} classes.",
                option);
        if (!teacher.InputShape.SequenceEqual(student.InputShape))
            throw new ArgumentException(
                $"The teacher '{teacher.Name}' reads {Layer.Format(teacher.InputShape)} inputs but the student '{student.Name}' reads {Layer.Format(student.InputShape)}; both must read the same feature column, so their input shapes must match.",
                option);
        for (int i = 0; i < hints.Count; i++)
        {
            FeatureHint hint = hints[i] ?? throw new ArgumentNullException($"Hints[{i}]");
            if (!student.Layers.Any(l => l.Name == hint.StudentLayer))
                throw new ArgumentException($"Hints[{i}].StudentLayer '{hint.StudentLayer}' is not a layer of the student '{student.Name}'.", "Hints");
            if (!teacher.Layers.Any(l => l.Name == hint.TeacherLayer))
                throw new ArgumentException($"Hints[{i}].TeacherLayer '{hint.TeacherLayer}' is not a layer of the teacher '{teacher.Name}'.", "Hints");
            int[] s = student.ShapeOf(hint.StudentLayer), t = teacher.ShapeOf(hint.TeacherLayer);
            if (s.Length != t.Length || !s.Skip(1).SequenceEqual(t.Skip(1)))
                throw new ArgumentException(
                    $"Hints[{i}]: the student's '{hint.StudentLayer}' is {Layer.Format(s)} and the teacher's '{hint.TeacherLayer}' is {Layer.Format(t)}; a hint needs the same spatial size (channels may differ).",
                    "Hints");
        }
    }
}
