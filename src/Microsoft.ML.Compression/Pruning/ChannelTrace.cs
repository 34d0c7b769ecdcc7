namespace Microsoft.ML.Compression.Pruning;

/// <summary>
/// Union-find over "atoms" (one per channel a layer creates) for <see cref="ChannelDependencies"/>: atoms an Add
/// sums end up in one set, and a set is fixed (never pruned) as soon as one of its atoms is, with the first reason.
/// </summary>
internal sealed class ChannelTrace
{
    private readonly List<int> _parent = new();
    private readonly Dictionary<int, string> _fixedReason = new();

    /// <summary>New atoms for <paramref name="count"/> channels; fixed at once when <paramref name="fixedReason"/> is given.</summary>
    public int[] NewAtoms(int count, string? layer, string? fixedReason)
    {
        var atoms = new int[count];
        for (int i = 0; i < count; i++)
        {
            atoms[i] = _parent.Count;
            _parent.Add(atoms[i]);
            if (fixedReason is not null) _fixedReason[atoms[i]] = layer is null ? fixedReason : $"'{layer}' is {fixedReason}";
        }
        return atoms;
    }

    public int Find(int atom)
    {
        while (_parent[atom] != atom)
        {
            _parent[atom] = _parent[_parent[atom]];
            atom = _parent[atom];
        }
        return atom;
    }

    public void Union(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra == rb) return;
        _parent[rb] = ra;
        if (!_fixedReason.ContainsKey(ra) && _fixedReason.TryGetValue(rb, out string? reason)) _fixedReason[ra] = reason;
    }

    public void Fix(int[] atoms, string reason)
    {
        foreach (int atom in atoms)
            _fixedReason.TryAdd(Find(atom), reason);
    }

    public bool IsFixed(int root) => _fixedReason.ContainsKey(root);

    /// <summary>Why the atom's set is never pruned, or null when it may be.</summary>
    public string? ReasonOf(int atom) => _fixedReason.GetValueOrDefault(Find(atom));
}
