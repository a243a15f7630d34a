// The C# LangPack runner: serves one algorithm over the langserver runner
// contract.
//
// Started with the algorithm's root as the working directory:
//
//     mono --debug pipe.exe <algorithm.dll> <algoname>
//
// It loads the algorithm's assembly, finds its class (the public class
// named after the algorithm, case and underscores aside, else the only
// public class with a public Apply method of one parameter), creates one
// instance when Apply is not static (its constructor is the load step), and
// prints PIPE_INIT_COMPLETE. It then reads one JSON request per line on
// stdin, calls Apply and writes one JSON response per request to the FIFO
// named by $ALGOOUT (/tmp/algoout when unset). EOF on stdin ends it with exit
// code 0; a load failure ends it with exit code 1 before PIPE_INIT_COMPLETE,
// the reason printed on stderr.
//
// Input: a string for text, a byte[] for binary, and for JSON what
// JavaScriptSerializer gives (Dictionary<string, object>, object[], int, long,
// decimal, bool, null; a JSON string is a string); when Apply's parameter has
// another type, the input is converted to it (a class bound from a JSON
// object). Output: a string is text, a byte[] binary, anything else is
// serialised as JSON. An exception is an algorithm error: its public string
// ErrorType property, else its Data["error_type"], sets error_type; its
// stack trace is exception.ToString().
//
// stdout and stderr belong to the algorithm; apart from the
// PIPE_INIT_COMPLETE line the runner writes nothing on stdout. Only Mono's
// own assemblies are used (System.Web.Extensions, Mono.Posix).

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Web.Script.Serialization;
using Mono.Unix;
using Mono.Unix.Native;

namespace LangServer
{
    /// <summary>The algorithm cannot be served; the message says why.</summary>
    public class LoadException : Exception
    {
        public LoadException(string message) : base(message) { }
    }

    /// <summary>A request line the runner cannot decode.</summary>
    public class RequestException : Exception
    {
        public RequestException(string message) : base(message) { }
    }

    /// <summary>Calls an algorithm's Apply method and encodes its answers.</summary>
    public class Algorithm
    {
        const string DefaultErrorType = "AlgorithmError";

        readonly MethodInfo apply;
        readonly object instance;
        readonly Type parameterType;
        readonly JavaScriptSerializer json = NewSerializer();

        public Algorithm(MethodInfo apply, object instance)
        {
            this.apply = apply;
            this.instance = instance;
            parameterType = apply.GetParameters()[0].ParameterType;
        }

        /// <summary>A serializer without the default size limit.</summary>
        public static JavaScriptSerializer NewSerializer()
        {
            return new JavaScriptSerializer { MaxJsonLength = int.MaxValue, RecursionLimit = 1000 };
        }

        /// <summary>Loads the algorithm class from an assembly.</summary>
        public static Algorithm Load(string assemblyPath, string algoname)
        {
            if (!File.Exists(assemblyPath))
                throw new LoadException(assemblyPath + " not found");
            Assembly assembly = Assembly.LoadFrom(assemblyPath);
            List<Type> candidates = assembly.GetExportedTypes()
                .Where(t => t.IsClass && FindApply(t) != null)
                .ToList();
            string wanted = Simplify(algoname);
            List<Type> named = candidates.Where(t => Simplify(t.Name) == wanted).ToList();
            if (named.Count > 0)
                candidates = named;
            if (candidates.Count == 0)
                throw new LoadException("no public class in " + assemblyPath + " has a public Apply method with one parameter");
            if (candidates.Count > 1)
                throw new LoadException("several classes have an Apply method and none is named after the algorithm " + algoname + ": " +
                    string.Join(", ", candidates.Select(t => t.FullName)));
            MethodInfo apply = FindApply(candidates[0]);
            object instance = null;
            if (!apply.IsStatic)
            {
                try
                {
                    instance = Activator.CreateInstance(candidates[0]);
                }
                catch (TargetInvocationException e)
                {
                    ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                }
            }
            return new Algorithm(apply, instance);
        }

        static MethodInfo FindApply(Type type)
        {
            return type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                .FirstOrDefault(m => m.Name == "Apply" && m.GetParameters().Length == 1 && !m.IsGenericMethodDefinition);
        }

        static string Simplify(string name)
        {
            return name.Replace("_", "").Replace("-", "").ToLowerInvariant();
        }

        /// <summary>Answers one request line with one response line (without newline).</summary>
        public string Handle(string line)
        {
            object input;
            try
            {
                input = DecodeInput(line);
            }
            catch (Exception e)
            {
                return json.Serialize(ErrorResponse("invalid request: " + e.Message, "SystemError", null));
            }
            try
            {
                input = Convert(input);
            }
            catch (Exception e)
            {
                return json.Serialize(ErrorResponse("the input cannot be converted to " + parameterType.FullName + ": " + e.Message, DefaultErrorType, null));
            }
            object result;
            try
            {
                result = apply.Invoke(instance, new[] { input });
            }
            catch (TargetInvocationException e)
            {
                return json.Serialize(AlgorithmError(e.InnerException ?? e));
            }
            try
            {
                return json.Serialize(ResultResponse(result));
            }
            catch (Exception e)
            {
                return json.Serialize(ErrorResponse("result is not JSON serializable: " + e.Message, DefaultErrorType, null));
            }
        }

        /// <summary>Returns the input a request line carries.</summary>
        object DecodeInput(string line)
        {
            var request = json.DeserializeObject(line) as Dictionary<string, object>;
            if (request == null)
                throw new RequestException("request is not a JSON object");
            object contentType, data;
            request.TryGetValue("content_type", out contentType);
            request.TryGetValue("data", out data);
            switch (contentType as string)
            {
                case "text":
                    if (!(data is string))
                        throw new RequestException("text data is not a string");
                    return data;
                case "json":
                    return data;
                case "binary":
                    if (!(data is string))
                        throw new RequestException("binary data is not a base64 string");
                    return System.Convert.FromBase64String((string)data);
                default:
                    throw new RequestException("unknown content_type " + (contentType ?? "(none)"));
            }
        }

        /// <summary>Converts the input to Apply's parameter type when it is not already one.</summary>
        object Convert(object input)
        {
            if (input == null || parameterType.IsInstanceOfType(input))
                return input;
            if (parameterType == typeof(string))
                return json.Serialize(input);
            return json.ConvertToType(input, parameterType);
        }

        Dictionary<string, object> ResultResponse(object result)
        {
            string contentType = "json";
            if (result is byte[])
            {
                result = System.Convert.ToBase64String((byte[])result);
                contentType = "binary";
            }
            else if (result is string)
            {
                contentType = "text";
            }
            return new Dictionary<string, object> {
                { "result", result },
                { "metadata", new Dictionary<string, object> { { "content_type", contentType } } },
            };
        }

        static Dictionary<string, object> AlgorithmError(Exception e)
        {
            // The frames of the runner's reflective call say nothing about the algorithm.
            string stacktrace = string.Join("\n", e.ToString().Split('\n')
                .Where(line => !line.Contains("System.Reflection.RuntimeMethodInfo")));
            return ErrorResponse(e.Message, ErrorType(e), stacktrace);
        }

        /// <summary>The exception's ErrorType property, else its Data["error_type"], else AlgorithmError.</summary>
        public static string ErrorType(Exception e)
        {
            PropertyInfo property = e.GetType().GetProperty("ErrorType", BindingFlags.Public | BindingFlags.Instance);
            if (property != null && property.PropertyType == typeof(string) && property.GetIndexParameters().Length == 0)
            {
                var value = property.GetValue(e, null) as string;
                if (!string.IsNullOrEmpty(value))
                    return value;
            }
            var data = e.Data["error_type"] as string;
            return string.IsNullOrEmpty(data) ? DefaultErrorType : data;
        }

        static Dictionary<string, object> ErrorResponse(string message, string errorType, string stacktrace)
        {
            var error = new Dictionary<string, object> { { "message", message }, { "error_type", errorType } };
            if (stacktrace != null)
                error["stacktrace"] = stacktrace;
            return new Dictionary<string, object> { { "error", error } };
        }
    }

    public static class Pipe
    {
        const string DefaultFifo = "/tmp/algoout";
        const string InitComplete = "PIPE_INIT_COMPLETE";

        public static int Main(string[] args)
        {
            if (args.Length != 2)
            {
                Console.Error.WriteLine("usage: pipe.exe <algorithm.dll> <algoname>");
                return 2;
            }
            Algorithm algorithm;
            TextReader requests;
            try
            {
                requests = ClaimStdin();
                algorithm = Algorithm.Load(Path.GetFullPath(args[0]), args[1]);
            }
            catch (LoadException e)
            {
                Console.Error.WriteLine("csharp runner: " + e.Message);
                return 1;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine(e);
                return 1;
            }
            Console.Out.WriteLine(InitComplete);
            Console.Out.Flush();
            string fifo = Environment.GetEnvironmentVariable("ALGOOUT");
            if (string.IsNullOrEmpty(fifo))
                fifo = DefaultFifo;
            var utf8 = new UTF8Encoding(false);
            string line;
            while ((line = requests.ReadLine()) != null)
            {
                if (line.Trim().Length == 0)
                    continue;
                string response = algorithm.Handle(line);
                Console.Out.Flush();
                Console.Error.Flush();
                using (var stream = new FileStream(fifo, FileMode.Open, FileAccess.Write))
                {
                    byte[] payload = utf8.GetBytes(response + "\n");
                    stream.Write(payload, 0, payload.Length);
                }
            }
            return 0;
        }

        /// <summary>
        /// Takes the request stream for the runner and gives the algorithm
        /// /dev/null as stdin, so that neither it nor a process it starts
        /// consumes request lines meant for the runner.
        /// </summary>
        static TextReader ClaimStdin()
        {
            int fd = Syscall.dup(0);
            int devnull = Syscall.open("/dev/null", OpenFlags.O_RDONLY);
            if (fd < 0 || devnull < 0 || Syscall.dup2(devnull, 0) < 0)
                throw new LoadException("cannot take stdin: " + Stdlib.GetLastError());
            Syscall.close(devnull);
            Syscall.fcntl(fd, FcntlCommand.F_SETFD, 1); // FD_CLOEXEC: not for the algorithm's children
            return new StreamReader(new UnixStream(fd, true), new UTF8Encoding(false));
        }
    }
}
