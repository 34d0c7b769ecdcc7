using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Compression.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Compression.Training;

/// <summary>
/// The state of a training run after a completed epoch, kept in <see cref="TrainingOptions.CheckpointDirectory"/>:
/// the module's parameters and buffers, the optimizer's state, torch's random state and a JSON manifest (epoch, step,
/// seed, network and a fingerprint of the network's structure and the loop's settings). Every file is written under a
/// temporary name in the same folder and moved over its final name; the manifest is written last and names the
/// epoch's files, so a crash at any moment leaves either the previous checkpoint or the new one, never half of one.
/// The shuffle and augmentation are derived from (seed, epoch), so nothing else is needed to continue.
/// </summary>
internal static class TrainingCheckpoint
{
    internal const string ManifestName = "checkpoint.json";

    internal sealed record Manifest(int Version, int Epoch, long Step, int Seed, string Network, string Fingerprint,
        string ModelFile, string OptimizerFile, string RandomFile, string HookFile);

    /// <summary>A hash of what must match for a checkpoint to continue this run: the parameter and buffer names and shapes, the data size and the loop's settings.</summary>
    internal static string Fingerprint(GraphModule module, TrainingOptions options, int rows, IReadOnlyList<ICheckpointedHook> hooks)
    {
        var text = new StringBuilder();
        text.Append(module.Graph.Name).Append('|').Append(module.Graph.InputSize).Append('|').Append(module.Graph.ClassCount).Append('|').Append(rows);
        foreach (var (name, tensor) in module.state_dict())
            text.Append('|').Append(name).Append(':').Append(string.Join('x', tensor.shape));
        text.Append('|').Append(options.Seed ?? 0).Append('|').Append(options.Epochs).Append('|').Append(options.BatchSize)
            .Append('|').Append(options.Optimizer).Append('|').Append(options.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
            .Append('|').Append(options.Momentum.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('|').Append(options.Nesterov)
            .Append('|').Append(options.WeightDecay.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append('|').Append(options.Schedule)
            .Append('|').Append(options.StepEpochs).Append('|').Append(options.StepGamma.ToString("R", System.Globalization.CultureInfo.InvariantCulture))
            .Append('|').Append(options.Augmentation is { } a ? $"{a.CropPadding},{a.HorizontalFlip}" : "none");
        foreach (ICheckpointedHook hook in hooks) text.Append('|').Append(hook.GetType().Name).Append(':').Append(hook.Fingerprint);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>A hash of a network's name, parameter names and weights (e.g. to tell a teacher or a plan's start from another).</summary>
    internal static string NetworkHash(NetworkGraph network)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(network.Name));
        foreach (Layer layer in network.Layers)
            foreach (var (name, tensor) in layer.Parameters)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(layer.Name + "." + name));
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
            }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>The manifest in <paramref name="directory"/>, or null when there is none.</summary>
    internal static Manifest? Read(string directory)
    {
        string path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path))
                ?? throw new InvalidDataException("empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The checkpoint manifest in '{directory}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Loads the checkpoint <paramref name="manifest"/> names into <paramref name="module"/> and <paramref name="optimizer"/> and restores torch's random state.</summary>
    internal static void Load(string directory, Manifest manifest, GraphModule module, OptimizerHelper optimizer, string fingerprint, IReadOnlyList<ICheckpointedHook> hooks)
    {
        if (manifest.Fingerprint != fingerprint)
            throw new InvalidOperationException(
                $"The checkpoint in '{directory}' was written by another training run (network '{manifest.Network}', seed {manifest.Seed}, epoch {manifest.Epoch}); " +
                "its network, data size or training settings differ from this one. Use another CheckpointDirectory or delete this one.");
        module.load(Path.Combine(directory, manifest.ModelFile), strict: true);
        optimizer.load_state_dict(Path.Combine(directory, manifest.OptimizerFile));
        byte[] random = File.ReadAllBytes(Path.Combine(directory, manifest.RandomFile));
        using Tensor state = torch.tensor(random, dtype: ScalarType.Byte);
        torch.random.set_rng_state(state);
        var hookStates = JsonSerializer.Deserialize<List<Dictionary<string, int[]>>>(File.ReadAllText(Path.Combine(directory, manifest.HookFile)))!;
        if (hookStates.Count != hooks.Count) throw new InvalidDataException($"The checkpoint in '{directory}' holds the state of {hookStates.Count} training hooks, not {hooks.Count}.");
        for (int i = 0; i < hooks.Count; i++)
            hooks[i].LoadState(module, hookStates[i].ToDictionary(e => e.Key, e => e.Value.Select(BitConverter.Int32BitsToSingle).ToArray()), manifest.Step);
    }

    /// <summary>Writes the state after <paramref name="epoch"/> (its files first, the manifest last) and removes the previous epoch's files.</summary>
    internal static void Save(string directory, GraphModule module, OptimizerHelper optimizer, int epoch, long step, int seed, string fingerprint,
        IReadOnlyList<ICheckpointedHook> hooks)
    {
        Directory.CreateDirectory(directory);
        Manifest? previous = Read(directory);
        var manifest = new Manifest(1, epoch, step, seed, module.Graph.Name, fingerprint,
            $"model-{epoch}.bin", $"optimizer-{epoch}.bin", $"random-{epoch}.bin", $"hooks-{epoch}.json");

        Atomic(directory, manifest.ModelFile, temp => module.save(temp));
        Atomic(directory, manifest.OptimizerFile, temp => optimizer.save_state_dict(temp));
        using (Tensor state = torch.random.get_rng_state())
        {
            byte[] bytes = state.data<byte>().ToArray();
            Atomic(directory, manifest.RandomFile, temp => File.WriteAllBytes(temp, bytes));
        }
        // Floats as their bits: exact, and the infinities of an observer that saw nothing yet are valid JSON.
        var hookStates = hooks.Select(h => h.SaveState().ToDictionary(e => e.Key, e => e.Value.Select(BitConverter.SingleToInt32Bits).ToArray())).ToList();
        string hookJson = JsonSerializer.Serialize(hookStates);
        Atomic(directory, manifest.HookFile, temp => File.WriteAllText(temp, hookJson));
        string json = JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true });
        Atomic(directory, ManifestName, temp => File.WriteAllText(temp, json));

        if (previous is not null && previous.Epoch != epoch)
            foreach (string old in new[] { previous.ModelFile, previous.OptimizerFile, previous.RandomFile, previous.HookFile })
                File.Delete(Path.Combine(directory, Path.GetFileName(old)));
    }

    /// <summary>Writes <paramref name="name"/> in <paramref name="directory"/> under a temporary name first and moves it over the final one, so a crash never leaves half a file.</summary>
    internal static void Atomic(string directory, string name, Action<string> write)
    {
        string temp = Path.Combine(directory, $".{name}.{Environment.ProcessId}.tmp");
        try
        {
            write(temp);
            File.Move(temp, Path.Combine(directory, name), overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
