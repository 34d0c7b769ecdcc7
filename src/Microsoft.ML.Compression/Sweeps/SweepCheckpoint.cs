using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.Compression.Sweeps;

/// <summary>
/// A sweep's folder: <c>sweep.json</c> says which sweep it holds (a fingerprint of everything that decides the
/// trials), <c>trials.jsonl</c> one finished trial per line, each flushed to disk before the next trial starts.
/// </summary>
internal sealed class SweepCheckpoint : IDisposable
{
    public const string SweepFile = "sweep.json", TrialsFile = "trials.jsonl";
    private readonly FileStream _trials;

    private SweepCheckpoint(string folder, FileStream trials, IReadOnlyList<JsonObject> finished)
    {
        Folder = folder;
        _trials = trials;
        Finished = finished;
    }

    public string Folder { get; }

    /// <summary>The trials an earlier run finished, in order.</summary>
    public IReadOnlyList<JsonObject> Finished { get; }

    /// <summary>
    /// Opens (or starts) the checkpoint in <paramref name="folder"/> for the sweep <paramref name="description"/>
    /// describes; refuses a folder holding another sweep. A torn last line (a crash while writing) is dropped.
    /// </summary>
    public static SweepCheckpoint Open(string folder, JsonObject description)
    {
        Directory.CreateDirectory(folder);
        string text = description.ToJsonString();
        string fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
        string sweepPath = Path.Combine(folder, SweepFile);
        if (File.Exists(sweepPath))
        {
            JsonNode saved = JsonNode.Parse(File.ReadAllText(sweepPath)) ?? new JsonObject();
            if (saved["fingerprint"]?.GetValue<string>() != fingerprint)
            {
                var differs = description.Where(p => !JsonNode.DeepEquals(p.Value, saved["sweep"]?[p.Key])).Select(p => p.Key).ToList();
                throw new InvalidOperationException($"The checkpoint folder '{folder}' holds another sweep (its {(differs.Count == 0 ? "fingerprint" : string.Join(", ", differs))} differ{(differs.Count == 1 ? "s" : "")}). "
                    + "Resume with the same search space, objectives, constraints, fidelities, initial points and tuner, or use another folder.");
            }
        }
        else
        {
            var sweep = new JsonObject { ["version"] = 1, ["fingerprint"] = fingerprint, ["sweep"] = description.DeepClone() };
            string temporary = sweepPath + ".tmp";
            File.WriteAllText(temporary, sweep.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temporary, sweepPath, overwrite: true);
        }

        string trialsPath = Path.Combine(folder, TrialsFile);
        var finished = new List<JsonObject>();
        var stream = new FileStream(trialsPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            byte[] bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            long good = 0;
            for (int start = 0; start < bytes.Length;)
            {
                int end = Array.IndexOf(bytes, (byte)'\n', start);
                bool last = end < 0;
                string line = Encoding.UTF8.GetString(bytes, start, (last ? bytes.Length : end) - start);
                JsonObject? trial = null;
                try { trial = string.IsNullOrWhiteSpace(line) ? null : JsonNode.Parse(line) as JsonObject; }
                catch (JsonException) when (last) { } // torn by a crash mid-write: the trial did not finish
                if (trial is null && !string.IsNullOrWhiteSpace(line) && !last)
                    throw new InvalidDataException($"Line {finished.Count + 1} of {trialsPath} is not a trial record.");
                if (trial is not null && !last) { finished.Add(trial); good = end + 1; }
                start = last ? bytes.Length : end + 1;
            }
            // Cut a torn (or newline-less) last line so appends start on a fresh line; its trial will run again.
            stream.SetLength(good);
            stream.Seek(good, SeekOrigin.Begin);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new SweepCheckpoint(folder, stream, finished);
    }

    /// <summary>Appends one trial and forces it to disk (a crash afterwards cannot lose it).</summary>
    public void Append(JsonObject trial)
    {
        byte[] line = Encoding.UTF8.GetBytes(trial.ToJsonString() + "\n");
        _trials.Write(line);
        _trials.Flush(flushToDisk: true);
    }

    public void Dispose() => _trials.Dispose();

    public static JsonObject ToJson(SweepTrial t) => new()
    {
        ["id"] = t.Id,
        ["fidelity"] = t.Fidelity,
        ["promotedFrom"] = t.PromotedFrom,
        ["configuration"] = t.Configuration.ToJsonNode(),
        ["metrics"] = new JsonObject(t.Metrics.Select(m => new KeyValuePair<string, JsonNode?>(m.Key, SweepValues.Metric(m.Value)))),
        ["seconds"] = t.Seconds,
        ["cost"] = t.Cost,
        ["error"] = t.Error,
    };

    /// <summary>A trial record back (feasibility is recomputed by the engine).</summary>
    public static SweepTrial FromJson(JsonObject o) => new()
    {
        Id = o["id"]!.GetValue<int>(),
        Fidelity = o["fidelity"]!.GetValue<int>(),
        PromotedFrom = o["promotedFrom"]?.GetValue<int>(),
        Configuration = SweepConfiguration.FromJsonNode(o["configuration"]!),
        Metrics = new SweepMetrics(o["metrics"]!.AsObject().Select(m => new KeyValuePair<string, double>(m.Key, SweepValues.Metric(m.Value!)))),
        Seconds = o["seconds"]!.GetValue<double>(),
        Cost = o["cost"]!.GetValue<double>(),
        Error = o["error"]?.GetValue<string>(),
    };
}
