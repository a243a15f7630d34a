# frozen_string_literal: true

# Ruby LangPack runner: serves one algorithm over the langserver runner contract.
#
# Started with the algorithm's root as the working directory:
#
#     ruby /path/to/pipe.rb
#
# It reads algorithmia.conf, sets up the algorithm's Gemfile (when it has one)
# with Bundler, requires src/<algoname>.rb and prints PIPE_INIT_COMPLETE once
# the algorithm is loaded. It then reads one JSON request per line on stdin,
# calls the top-level apply(input) the algorithm defines and writes one JSON
# response per request to the FIFO named by $ALGOOUT (/tmp/algoout when unset).
# EOF on stdin ends the runner with exit status 0; a load failure ends it with
# exit status 1 before PIPE_INIT_COMPLETE, the reason printed on stderr.
#
# Inputs: text is a UTF-8 String, binary a String in Encoding::BINARY
# (ASCII-8BIT), JSON the value JSON.parse gives. Results: a BINARY String is
# sent as binary, any other String as text, anything else as JSON. An
# exception reports an error; its error_type method, when it has one that
# returns a String, sets the error type (else AlgorithmError).
#
# stdout and stderr belong to the algorithm: apart from the PIPE_INIT_COMPLETE
# line the runner writes nothing on stdout, and its own diagnostics go to
# stderr. Only the standard library is used; Ruby 2.7 or later.

require 'json'

module LangServer
  # Runner loads the algorithm and answers its requests. Its methods live in
  # this module, not at the top level, so that they cannot clash with the
  # algorithm's own top-level methods.
  module Runner
    CONFIG_FILE = 'algorithmia.conf'
    DEFAULT_FIFO = '/tmp/algoout'
    INIT_COMPLETE = 'PIPE_INIT_COMPLETE'
    DEFAULT_ERROR_TYPE = 'AlgorithmError'

    # The algorithm folder cannot be served; the message says why.
    class LoadFailure < StandardError; end

    # A request line the runner cannot decode.
    class BadRequest < StandardError; end

    module_function

    # Loads the algorithm, then serves requests until stdin ends. Returns
    # the process exit status.
    def main
      # The server captures both streams line by line and attributes each
      # line to the request in flight: a line must leave as soon as it is
      # printed.
      $stdout.sync = true
      $stderr.sync = true
      # Without a locale (LANG unset, C, POSIX) Ruby takes external data as
      # US-ASCII; JSON, the requests and most files are UTF-8.
      Encoding.default_external = Encoding::UTF_8 if Encoding.default_external == Encoding::US_ASCII
      root = Dir.pwd
      begin
        algoname = read_algoname(root)
        requests = claim_stdin
        setup_bundler(root)
        algorithm = load_algorithm(root, algoname)
      rescue LoadFailure => e
        warn "ruby runner: #{e.message}"
        return 1
      rescue SystemExit, SignalException
        raise
      rescue Exception => e # SyntaxError, LoadError: anything that stops the load
        warn "ruby runner: the algorithm failed to load:\n#{e.full_message(highlight: false)}"
        return 1
      end
      STDOUT.write("#{INIT_COMPLETE}\n")
      serve(algorithm, requests, fifo_path)
      0
    end

    # Returns the FIFO responses are written to.
    def fifo_path
      path = ENV.fetch('ALGOOUT', '')
      path.empty? ? DEFAULT_FIFO : path
    end

    # Returns the algoname from the algorithm's algorithmia.conf.
    def read_algoname(root)
      path = File.join(root, CONFIG_FILE)
      begin
        config = JSON.parse(File.read(path, encoding: 'UTF-8'))
      rescue SystemCallError => e
        raise LoadFailure, "cannot read #{path}: #{e.message}"
      rescue JSON::ParserError => e
        raise LoadFailure, "#{path} is not valid JSON: #{e.message}"
      end
      algoname = config['algoname'] if config.is_a?(Hash)
      raise LoadFailure, "#{path} has no \"algoname\"" unless algoname.is_a?(String) && !algoname.empty?

      algoname
    end

    # Takes the request stream for the runner and gives the algorithm
    # /dev/null as its stdin. Requests arrive on file descriptor 0; an
    # algorithm that reads $stdin, or a subprocess that inherits it, would
    # otherwise consume request lines meant for the runner.
    def claim_stdin
      requests = $stdin.dup
      requests.set_encoding(Encoding::UTF_8)
      $stdin.reopen(File::NULL)
      requests
    end

    # Activates the gems of the algorithm's Gemfile, as `bundle exec` would,
    # so that the algorithm sees exactly the gems it declares.
    def setup_bundler(root)
      gemfile = File.join(root, 'Gemfile')
      return unless File.file?(gemfile)

      ENV['BUNDLE_GEMFILE'] = gemfile
      require 'bundler/setup'
    rescue ::LoadError => e
      raise LoadFailure, "the algorithm has a Gemfile but Bundler does not load (#{e.message}): " \
                         'install it (Debian: apt-get install ruby-bundler)'
    rescue StandardError => e
      raise unless defined?(Bundler::BundlerError) && e.is_a?(Bundler::BundlerError)

      raise LoadFailure, "#{e.message.strip} Install the gems it needs (Debian: apt-get install ruby-<gem>), " \
                         'then run `langserver build`.'
    end

    # Requires src/<algoname>.rb and returns the object that receives
    # apply: the top-level object, where a top-level `def apply` lands.
    def load_algorithm(root, algoname)
      src = File.join(root, 'src')
      file = File.join(src, "#{algoname}.rb")
      raise LoadFailure, "#{file} not found" unless File.file?(file)

      $LOAD_PATH.unshift(src)
      require file
      main_object = TOPLEVEL_BINDING.receiver
      raise LoadFailure, "src/#{algoname}.rb does not define apply(input)" unless main_object.respond_to?(:apply, true)

      main_object
    end

    # Answers each request line on the FIFO at path, one at a time.
    def serve(algorithm, requests, path)
      requests.each_line do |line|
        payload = handle(algorithm, line)
        flush_output
        # Opened, written and closed per response, as runners always have.
        File.open(path, 'wb') { |fifo| fifo.write("#{payload}\n") }
      end
    end

    # Decodes one request line, calls apply and returns the response as
    # compact JSON.
    def handle(algorithm, line)
      begin
        input = decode_input(line)
      rescue BadRequest, JSON::ParserError, ArgumentError => e
        return JSON.generate(error_response("invalid request: #{e.message}", 'SystemError'))
      end
      begin
        result = algorithm.__send__(:apply, input)
      rescue SystemExit, SignalException
        raise
      rescue Exception => e # NotImplementedError, SystemStackError are algorithm errors too
        return JSON.generate(algorithm_error_response(e))
      end
      encode_result(result)
    end

    # Returns the algorithm input a request line carries.
    def decode_input(line)
      request = JSON.parse(line, max_nesting: false)
      raise BadRequest, 'request is not a JSON object' unless request.is_a?(Hash)

      data = request['data']
      case request['content_type']
      when 'text', 'json'
        data
      when 'binary'
        raise BadRequest, 'binary data is not a base64 string' unless data.is_a?(String)

        # unpack1('m') decodes base64 (and returns a BINARY String) without
        # the base64 library, which newer Rubies no longer ship by default.
        data.unpack1('m')
      else
        raise BadRequest, "unknown content_type #{request['content_type'].inspect}"
      end
    end

    # Encodes a result as a response: a BINARY String as base64 binary, any
    # other String as text, anything else as JSON. A result that JSON cannot
    # represent (NaN, invalid UTF-8) is reported as an algorithm error.
    def encode_result(result)
      value = result
      content_type = 'json'
      if result.is_a?(String) && result.encoding == Encoding::BINARY
        value = [result].pack('m0')
        content_type = 'binary'
      elsif result.is_a?(String)
        content_type = 'text'
      end
      JSON.generate({ result: value, metadata: { content_type: content_type } }, max_nesting: false)
    rescue StandardError, SystemStackError => e
      # NaN, invalid UTF-8, a to_json that raises.
      JSON.generate(error_response("result is not JSON serializable: #{e.message}", DEFAULT_ERROR_TYPE))
    end

    # Builds the response for an exception apply raised. An error_type
    # method returning a String sets the type.
    def algorithm_error_response(error)
      error_type = error.error_type if error.respond_to?(:error_type)
      error_type = DEFAULT_ERROR_TYPE unless error_type.is_a?(String)
      error_response(error.message, error_type, stacktrace(error))
    end

    # Returns the exception's report as Ruby prints it for an uncaught
    # exception, without the runner's own frames.
    def stacktrace(error)
      backtrace = error.backtrace || []
      own = backtrace.select { |frame| frame.start_with?(__FILE__) }
      error.set_backtrace(backtrace - own) unless own.size == backtrace.size
      error.full_message(highlight: false, order: :top)
    end

    # Builds an error response object.
    def error_response(message, error_type, stacktrace = nil)
      error = { message: utf8(message), error_type: utf8(error_type) }
      error[:stacktrace] = utf8(stacktrace) if stacktrace
      { error: error }
    end

    # Returns text as valid UTF-8, whatever its encoding, so that an error
    # report can always be sent.
    def utf8(text)
      text = text.to_s
      text = text.dup.force_encoding(Encoding::UTF_8) if text.encoding == Encoding::BINARY
      text.encode(Encoding::UTF_8, invalid: :replace, undef: :replace).scrub
    end

    # Flushes the algorithm's stdout and stderr so that their output
    # precedes the response, including streams it put in place of $stdout.
    def flush_output
      [$stdout, $stderr, STDOUT, STDERR].uniq.each do |stream|
        stream.flush
      rescue IOError, SystemCallError, NoMethodError
        # The algorithm closed or replaced the stream; nothing to flush.
        nil
      end
    end
  end
end

exit(LangServer::Runner.main) if $PROGRAM_NAME == __FILE__
